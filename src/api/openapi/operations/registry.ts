/** Catalogue of the admin and department-admin operations: departments, connectors, snapshots, questions, clients. */
import type { Catalogue, MediaDoc } from '../catalogue.ts'
import * as ex from '../examples.ts'

const csv = '身份证号码,房屋类型,建筑面积,登记日期\n330106196611226613,住宅,89.5,2019-05-20\n'
const ndjson = '{"id_number":"330106196611226613","property_type":"住宅","area":89.5,"registered_on":"2019-05-20"}\n'
const upload = (type: string, example: string): MediaDoc => ({
  schema: {
    type: 'string',
    description: `${type}, streamed; UTF-8, or GB18030 with \`; charset=gb18030\` (also gbk, gb2312)`
  },
  example
})

export const registryOperations: Catalogue = {
  'POST /v1/departments': {
    operationId: 'createDepartment',
    summary: 'Register a department',
    description: 'Registers a department that owns connectors (admin). The change is an audit entry.',
    errors: ['CONFLICT'],
    request: { id: ex.department.id, name: ex.department.name },
    response: ex.department
  },
  'GET /v1/departments': {
    operationId: 'listDepartments',
    summary: 'List the departments',
    response: { departments: [ex.department] }
  },
  'PUT /v1/departments/{id}': {
    operationId: 'updateDepartment',
    summary: 'Rename a department',
    request: { name: ex.department.name },
    response: ex.department
  },
  'DELETE /v1/departments/{id}': {
    operationId: 'deactivateDepartment',
    summary: 'Deactivate a department',
    description: 'Deactivates a department that has no active connector left (409 CONFLICT otherwise).',
    errors: ['CONFLICT']
  },
  'POST /v1/connectors': {
    operationId: 'createConnector',
    summary: 'Register a connector (a department\'s data source)',
    description: 'Declares a data source of a department: the subject column (a resident ID number) and the ' +
      'typed fields that questions may use. `column` names the header a department\'s file uses (any Unicode ' +
      'text), when it is not the field\'s name. A dept_admin registers its own department\'s only.',
    errors: ['CONFLICT', 'INVALID_DEFINITION'],
    request: ex.connectorBody,
    response: { ...ex.connector, activeSnapshot: null }
  },
  'GET /v1/connectors': {
    operationId: 'listConnectors',
    summary: 'List the connectors you manage',
    description: 'An admin sees every connector; a dept_admin its own department\'s.',
    response: { connectors: [ex.connector] }
  },
  'GET /v1/connectors/{id}': {
    operationId: 'getConnector',
    summary: 'A connector, with its active snapshot',
    response: ex.connector
  },
  'PUT /v1/connectors/{id}': {
    operationId: 'updateConnector',
    summary: 'Change a connector\'s title, fields or reject ratio',
    description: 'The department and the subject cannot change; a field that an active question uses cannot be ' +
      'removed or retyped (409 CONFLICT).',
    errors: ['CONFLICT', 'INVALID_DEFINITION'],
    request: ex.without(ex.connectorBody, 'id'),
    response: ex.connector
  },
  'DELETE /v1/connectors/{id}': {
    operationId: 'deactivateConnector',
    summary: 'Deactivate a connector',
    description: 'Refused (409 CONFLICT) while active questions use it.',
    errors: ['CONFLICT']
  },
  'GET /v1/connectors/{id}/snapshots': {
    operationId: 'listSnapshots',
    summary: 'The load history of a connector',
    response: { snapshots: [ex.snapshot] }
  },
  'PUT /v1/connectors/{id}/snapshot': {
    operationId: 'loadSnapshot',
    summary: 'Load a snapshot of a connector\'s data (CSV or NDJSON upload)',
    errors: [
      'CONFLICT', 'LOAD_IN_PROGRESS', 'MISSING_COLUMN', 'DUPLICATE_COLUMN', 'INVALID_ENCODING', 'EMPTY_SNAPSHOT',
      'INVALID_BODY', 'REJECT_RATIO_EXCEEDED', 'PAYLOAD_TOO_LARGE', 'UNSUPPORTED_MEDIA_TYPE'
    ],
    requestContent: {
      'text/csv': upload('CSV with a header row naming the declared columns', csv),
      'application/x-ndjson': upload('One JSON object per line, keyed by the declared columns', ndjson)
    },
    response: { snapshot: ex.snapshot }
  },
  'POST /v1/connectors/{id}/keys/rotate': {
    operationId: 'rotateConnectorKey',
    summary: 'Rotate a connector\'s keys (admin)',
    description: 'Makes the connector\'s next key version, derived from the newest master key. The next load ' +
      'hashes under it; the active snapshot keeps answering under the version it was loaded with, so answers ' +
      'are the same before and after the rotation and the reload. The rotation is an audit entry.',
    response: { connector: 'realestate', keyVersion: 2 }
  },
  'POST /v1/connectors/{id}/sync': {
    operationId: 'syncConnector',
    summary: 'Sync a pull connector from the department\'s database now',
    description: 'Reads the connector\'s query from the department\'s database (streamed, only the declared ' +
      'columns) and loads it as a snapshot dated today (China Standard Time), with the same checks, load record ' +
      'and reject report as an upload; or answers `unchanged: true` with the active snapshot when the rows are ' +
      'the same. Every sync is an audit entry (kind `load`).',
    errors: [
      'NOT_A_PULL_CONNECTOR', 'LOAD_IN_PROGRESS', 'SOURCE_UNREACHABLE', 'SOURCE_QUERY_FAILED', 'SOURCE_COLUMN_MISSING',
      'DUPLICATE_COLUMN', 'EMPTY_SNAPSHOT', 'REJECT_RATIO_EXCEEDED'
    ],
    response: { snapshot: ex.snapshot }
  },
  'GET /v1/connectors/{id}/snapshots/{snapshot}/rejects': {
    operationId: 'getRejectReport',
    summary: 'The reject report of a load attempt (CSV)',
    responseContent: {
      'text/csv': {
        schema: { type: 'string', description: 'CSV, UTF-8 with a BOM: line,field,code,reason,column' },
        example: '\ufeffline,field,code,reason,column\n17,id_number,INVALID_ID_NUMBER,the check digit does not match,' +
          '身份证号码\n'
      }
    },
    responseHeaders: {
      'Content-Disposition': {
        description: 'attachment; filename="rejects-<connector>-<snapshot>.csv"',
        required: true,
        schema: { type: 'string' }
      }
    }
  },
  'POST /v1/questions': {
    operationId: 'createQuestion',
    summary: 'Register a question',
    description: 'A yes/no question over one connector\'s fields: `when` is a predicate (see the API guide), ' +
      'checked against the connector\'s fields and the declared params at registration.',
    errors: ['CONFLICT', 'INVALID_DEFINITION'],
    request: ex.questionBody,
    response: { id: ex.questionBody.id }
  },
  'GET /v1/questions': {
    operationId: 'listQuestions',
    summary: 'The questions you may ask',
    errors: ['CLIENT_INACTIVE'],
    response: {
      questions: [{
        id: ex.questionBody.id,
        title: ex.questionBody.title,
        titles: ex.questionBody.titles,
        description: ex.questionBody.description,
        params: ex.questionBody.params,
        requiresConsent: false
      }]
    }
  },
  'GET /v1/questions/{id}': {
    operationId: 'getQuestion',
    summary: 'A question, with its predicate',
    response: { ...ex.questionBody, requiresConsent: false, active: true }
  },
  'PUT /v1/questions/{id}': {
    operationId: 'updateQuestion',
    summary: 'Change a question',
    errors: ['INVALID_DEFINITION'],
    request: ex.without(ex.questionBody, 'id'),
    response: { id: ex.questionBody.id }
  },
  'DELETE /v1/questions/{id}': {
    operationId: 'deactivateQuestion',
    summary: 'Deactivate a question'
  },
  'POST /v1/purposes': {
    operationId: 'createPurpose',
    summary: 'Register a purpose code with its titles',
    description: 'Registers a purpose code with its titles in Chinese and English, shown on certificates, pages ' +
      'and the citizen\'s access log instead of the code (admin). A code a client lists without registering it ' +
      'stays valid and shows as its code. The change is an audit entry.',
    errors: ['CONFLICT', 'INVALID_DEFINITION'],
    request: { id: ex.purpose.id, titles: ex.purpose.titles },
    response: ex.purpose
  },
  'GET /v1/purposes': {
    operationId: 'listPurposes',
    summary: 'The registered purposes and their titles',
    response: { purposes: [ex.purpose] }
  },
  'PUT /v1/purposes/{id}': {
    operationId: 'updatePurpose',
    summary: 'Change a purpose\'s titles',
    errors: ['INVALID_DEFINITION'],
    request: { titles: ex.purpose.titles },
    response: { id: ex.purpose.id }
  },
  'POST /v1/clients': {
    operationId: 'createClient',
    summary: 'Register a client (an approval system that asks)',
    description: 'The questions and purposes it may use, and its limits (omitted quotas take the defaults ' +
      '600 requests a minute, 500 subjects a day, 20 subjects a case, 3 names per subject a day).',
    errors: ['CONFLICT', 'INVALID_DEFINITION'],
    request: ex.clientBody,
    response: ex.client
  },
  'GET /v1/clients': {
    operationId: 'listClients',
    summary: 'List the clients',
    response: { clients: [ex.client] }
  },
  'GET /v1/clients/{id}': {
    operationId: 'getClient',
    summary: 'A client\'s registration',
    response: ex.client
  },
  'PUT /v1/clients/{id}': {
    operationId: 'updateClient',
    summary: 'Change a client\'s registration, or reactivate it',
    errors: ['INVALID_DEFINITION'],
    request: { ...ex.without(ex.clientBody, 'id'), active: true },
    response: ex.client
  },
  'PUT /v1/clients/{id}/quotas': {
    operationId: 'setClientQuotas',
    summary: 'Set a client\'s limits',
    request: { quotas: ex.quotas, autoSuspend: true },
    response: { ...ex.client, autoSuspend: true }
  },
  'DELETE /v1/clients/{id}': {
    operationId: 'deactivateClient',
    summary: 'Deactivate a client',
    description: 'The client is refused (403 CLIENT_INACTIVE) from the next request on, whatever its token says.'
  }
}
