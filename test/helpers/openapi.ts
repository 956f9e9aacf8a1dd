/**
 * Reading the service's OpenAPI document in tests: its operations, and JSON Schema validation (Ajv,
 * draft 2020-12 as OpenAPI 3.1 uses it) of a value against a schema of the document, whose
 * `#/components/...` references resolve against the document.
 */
import Ajv2020 from 'ajv/dist/2020.js'
import addFormats from 'ajv-formats'

export type Json = Record<string, unknown>

export interface MediaType { schema?: Json, example?: unknown, examples?: Record<string, { value: unknown }> }
export interface Response { description?: string, headers?: Json, content?: Record<string, MediaType> }
export interface Operation {
  operationId?: string
  summary?: string
  description?: string
  security?: unknown[]
  parameters?: Json[]
  requestBody?: { required?: boolean, content: Record<string, MediaType> }
  responses: Record<string, Response>
}
export interface Document {
  openapi: string
  info: Json
  paths: Record<string, Record<string, Operation>>
  components: { schemas: Record<string, Json>, examples?: Record<string, { value: unknown }> }
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch']

/** Every operation of the document, keyed `METHOD /path/{param}` like the catalogue. */
export function operationsOf (doc: Document): Map<string, Operation> {
  const out = new Map<string, Operation>()
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const method of METHODS) {
      const op = item[method]
      if (op !== undefined) out.set(`${method.toUpperCase()} ${path}`, op)
    }
  }
  return out
}

/** `text/csv; charset=utf-8` → `text/csv` */
export function baseMediaType (contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase()
}

/** A validator of values against schemas of this document: returns the errors, or null when valid. */
export function schemaValidator (doc: Document): (schema: Json, value: unknown) => string | null {
  const ajv = new Ajv2020.default({ strict: false, allErrors: true, formats: { binary: true } })
  addFormats.default(ajv)
  const compiled = new Map<Json, ReturnType<typeof ajv.compile>>()
  return (schema, value) => {
    let validate = compiled.get(schema)
    if (validate === undefined) {
      validate = ajv.compile({ components: doc.components, allOf: [schema] })
      compiled.set(schema, validate)
    }
    if (validate(value)) return null
    return ajv.errorsText(validate.errors, { dataVar: 'body' })
  }
}
