// The planted secrets of issue 9, one of each form, shared by the CLI corpus test (secretsCorpus.test.ts) and the
// VS Code suite's (test/vscode/suite/secrets.test.ts): each value is put in a real process's argv or environment, an
// exception message or a log line, and must never appear in anything shown or saved.
export const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJjb3JwdXMtand0In0.c2lnbmF0dXJlLWNvcnB1cy1qd3Q';
/** Each value appears in a real process or file below; none may appear in any output. */
export const SECRETS = {
  argvPassword: 'ArgvPw1hunter',
  argvShortP: 'ArgvPw2hunter',
  argvUrl: 'ArgvPw3hunter',
  argvGithub: `ghp_${'ArgvGithubTokenValue0123456789abcdef'.slice(0, 36)}`,
  argvCurl: 'ArgvPw11hunter',
  envApiKey: 'EnvVal4hunter',
  envDbPass: 'EnvVal5hunter',
  excUrl: 'ExcPw6hunter',
  excJwt: JWT,
  logPassword: 'LogPw7hunter',
  logApiKey: 'LogPw8hunter',
  logCurl: 'LogPw9hunter',
  logSlack: 'xoxb-123456789012-corpusSlackToken',
  logAws: 'AKIACORPUSAWS0KEY12X',
  logNpm: `npm_${'corpusNpmTokenValue0123456789abcdefgh'.slice(0, 36)}`,
  logPem: 'MIIEcorpusPemBodyLine',
  logStripe: 'sk_live_corpusStripeKey123',
  logUrl: 'LogPw12hunter',
  watchPassword: 'WatchPw10hunter',
};

/** A server's argv carrying the argv forms (and a title with control characters). */
export const PLANTED_ARGV: readonly string[] = ['--password', SECRETS.argvPassword, '-p', SECRETS.argvShortP,
  '--db', `postgres://app:${SECRETS.argvUrl}@127.0.0.1:5432/app`, '--token', SECRETS.argvGithub,
  '--upstream-auth', `curl -u ops:${SECRETS.argvCurl}`, '--title', 'api\x1b]0;pwned\x07\x1b[2J\u202etxt'];

/** The environment of the processes that print or crash: API_KEY and DB_PASSWORD values have no token shape. */
export const PLANTED_ENV = { API_KEY: SECRETS.envApiKey, DB_PASSWORD: SECRETS.envDbPass };

/** Each log form crashes a worker of its own, so each shows whole as the first line of a crash block. */
export const LOG_FORMS = [
  "'config loaded: ' + process.env.API_KEY + ' and ' + process.env.DB_PASSWORD",
  `'password: ${SECRETS.logPassword}'`,
  `'API_KEY = "${SECRETS.logApiKey}"'`,
  `'retrying with curl -u admin:${SECRETS.logCurl} http://127.0.0.1:9/health'`,
  `'slack ${SECRETS.logSlack} aws ${SECRETS.logAws}'`,
  `'npm ${SECRETS.logNpm} stripe ${SECRETS.logStripe}'`,
  `'-----BEGIN RSA PRIVATE KEY-----${SECRETS.logPem}-----END RSA PRIVATE KEY-----'`,
  `'queue at amqp://guest:${SECRETS.logUrl}@127.0.0.1:5672/'`,
  `'cannot connect to postgres://app:${SECRETS.excUrl}@db.internal:5432/app with ${JWT}'`,
];
export const workerJs = (i: number): string => `const line = ${LOG_FORMS[i]};\nconsole.log(line);\nthrow new Error('form${i}: ' + line);\n`;

