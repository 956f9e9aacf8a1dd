/** `shifou load`: a snapshot file to a running service. */
import { defineCommand } from '../spec.ts'
import { SERVICE_URL, TOKEN } from './environment.ts'

export const load = defineCommand({
  path: ['load'],
  summary: 'send a snapshot file to a running service',
  usage: [
    'load --connector ID --as-of YYYY-MM-DD [--url URL] [--token T] [--format csv|ndjson]',
    '     [--encoding utf-8|gb18030] [--report REJECTS.csv] FILE'
  ],
  description: 'Streams FILE to PUT /v1/connectors/ID/snapshot of a running service and prints the load report: ' +
    'rows, subjects, rejected rows grouped by code, the people behind rejected rows (questions about them are ' +
    'refused until a corrected file is loaded), and columns that were ignored; --report writes every rejected ' +
    'row and why. CSV needs a header row naming the connector\'s fields (or the columns they were registered ' +
    'with); NDJSON is one JSON object a line. The previous snapshot keeps answering until ' +
    'the new one is complete, and a failed load changes nothing. The file is read as it is sent, so its size does ' +
    'not matter; progress goes to standard error, the report to standard output.' +
    '\n\nThe token must be an admin\'s or the connector\'s department\'s dept_admin\'s. Without --token or ' +
    'SHIFOU_TOKEN, a one-hour admin token is minted from the JWT secret, which works against a service on this ' +
    'machine that uses the same secret.',
  arguments: [{ name: 'FILE', description: 'the snapshot: CSV, or NDJSON (.ndjson or .jsonl)' }],
  options: {
    connector: { type: 'string', value: 'ID', required: true, description: 'the connector to load (its id)' },
    'as-of': {
      type: 'string',
      value: 'YYYY-MM-DD',
      required: true,
      description: 'the date the data describes, not in the future'
    },
    url: { type: 'string', value: 'URL', description: 'the service (default SHIFOU_URL, else http://127.0.0.1:$PORT)' },
    token: {
      type: 'string',
      value: 'T',
      description: 'a bearer token (default SHIFOU_TOKEN, else one minted from the JWT secret)'
    },
    format: {
      type: 'string',
      value: 'csv|ndjson',
      description: 'the file\'s format (default ndjson for .ndjson and .jsonl files, else csv)'
    },
    encoding: {
      type: 'string',
      value: 'utf-8|gb18030',
      description: 'the file\'s character encoding (default utf-8); gb18030, gbk or gb2312 for files saved by ' +
        'Excel on Chinese Windows'
    },
    report: {
      type: 'string',
      value: 'FILE',
      description: 'write every rejected row (line, field, code, reason; never the value) to this CSV file'
    }
  },
  examples: [
    {
      command: 'shifou load --connector tax --as-of 2026-11-27 tax.csv',
      explains: 'load a CSV into connector tax of the service on this machine'
    },
    {
      command: 'SHIFOU_URL=https://shifou.example.gov.cn SHIFOU_TOKEN=$T shifou load --connector tax --as-of ' +
        '2026-11-27 tax.ndjson',
      explains: 'load NDJSON into a remote service with a token from the identity provider'
    },
    {
      command: 'shifou load --connector marriage --as-of 2026-12-01 --encoding gb18030 --report rejects.csv 婚姻登记.csv',
      explains: 'a file saved by Excel on Chinese Windows; every rejected row and why in rejects.csv'
    },
    {
      command: 'PORT=9090 shifou load --connector household --as-of 2026-12-01 --format csv export.txt',
      explains: 'a CSV file without the .csv extension, to a service on port 9090'
    }
  ],
  environment: [...SERVICE_URL, ...TOKEN],
  exit: [
    [0, 'the snapshot was loaded and is active'],
    [1, 'the service refused the load (the reason and what to do are printed) or could not be reached'],
    [2, 'bad usage']
  ],
  run: async (argv) => await (await import('../load.ts')).load(argv)
})
