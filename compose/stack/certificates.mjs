// DEVELOPMENT ONLY: the gateway's TLS certificate, issued by a development CA, both made with
// openssl on first use into a data directory (data/gateway/ for the local stack and compose; never
// committed) and reused while they still cover the names and stay valid for a month.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The names the gateway's certificate covers: the API, the authorization server behind it, loopback. */
export const CERTIFICATE_NAMES = ['api.demo.example', 'auth.demo.example', 'localhost'];
const CERTIFICATE_IPS = ['127.0.0.1'];

function openssl(args, cwd) {
  const result = spawnSync('openssl', args, { cwd, encoding: 'utf8' });
  if (result.error) throw new Error(`openssl could not start: ${result.error.message}`);
  if (result.status !== 0) throw new Error(`openssl ${args[0]} failed: ${result.stderr.trim()}`);
  return result.stdout;
}

/** Whether `cert` is signed by `ca`, valid for 30 more days and names every required name. */
function stillGood(dir, files) {
  if (!Object.values(files).every((file) => existsSync(file))) return false;
  const ok = (args) => spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' }).status === 0;
  if (!ok(['x509', '-in', files.ca, '-noout', '-checkend', String(30 * 86_400)])) return false;
  if (!ok(['x509', '-in', files.certificate, '-noout', '-checkend', String(30 * 86_400)])) return false;
  if (!ok(['verify', '-CAfile', files.ca, files.certificate])) return false;
  const text = openssl(['x509', '-in', files.certificate, '-noout', '-ext', 'subjectAltName'], dir);
  return (
    CERTIFICATE_NAMES.every((name) => text.includes(`DNS:${name}`)) &&
    CERTIFICATE_IPS.every((ip) => text.includes(`IP Address:${ip}`))
  );
}

/**
 * The development CA (`ca.pem`) and the gateway's certificate (`server.pem`, key `server-key.pem`)
 * in `dir`, made with openssl when missing or no longer good. Returns their paths.
 */
export function ensureGatewayCertificates(dir) {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const files = {
    ca: join(dir, 'ca.pem'),
    caKey: join(dir, 'ca-key.pem'),
    certificate: join(dir, 'server.pem'),
    key: join(dir, 'server-key.pem'),
  };
  if (stillGood(dir, files)) return { ...files, created: false };
  const serverExtensions = join(dir, 'server.ext');
  const request = join(dir, 'server.csr');
  const altNames = [
    ...CERTIFICATE_NAMES.map((name) => `DNS:${name}`),
    ...CERTIFICATE_IPS.map((ip) => `IP:${ip}`),
  ].join(',');
  writeFileSync(
    serverExtensions,
    [
      'basicConstraints=critical,CA:FALSE',
      'keyUsage=critical,digitalSignature',
      'extendedKeyUsage=serverAuth',
      `subjectAltName=${altNames}`,
      'authorityKeyIdentifier=keyid',
      '',
    ].join('\n'),
  );
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  try {
    if (!existsSync(files.ca) || !existsSync(files.caKey) || !stillValid(dir, files.ca)) {
      openssl(
        [
          'req',
          '-x509',
          ...ec,
          '-keyout',
          files.caKey,
          '-out',
          files.ca,
          '-days',
          '825',
          '-subj',
          '/O=Verdict development/CN=Verdict development CA',
          '-addext',
          'basicConstraints=critical,CA:TRUE,pathlen:0',
          '-addext',
          'keyUsage=critical,keyCertSign,cRLSign',
        ],
        dir,
      );
    }
    openssl(
      [
        'req',
        '-new',
        ...ec,
        '-keyout',
        files.key,
        '-out',
        request,
        '-subj',
        `/O=Verdict development/CN=${CERTIFICATE_NAMES[0]}`,
      ],
      dir,
    );
    openssl(
      [
        'x509',
        '-req',
        '-in',
        request,
        '-CA',
        files.ca,
        '-CAkey',
        files.caKey,
        '-CAcreateserial',
        '-days',
        '397',
        '-sha256',
        '-extfile',
        serverExtensions,
        '-out',
        files.certificate,
      ],
      dir,
    );
  } finally {
    for (const file of [serverExtensions, request, join(dir, 'ca.srl')]) rmSync(file, { force: true });
  }
  chmodSync(files.caKey, 0o600);
  chmodSync(files.key, 0o600);
  if (!stillGood(dir, files)) throw new Error(`the certificate made in ${dir} does not verify`);
  return { ...files, created: true };
}

function stillValid(dir, file) {
  return (
    spawnSync('openssl', ['x509', '-in', file, '-noout', '-checkend', String(30 * 86_400)], { cwd: dir })
      .status === 0
  );
}

/** The CA certificate, to trust the gateway with. */
export function readCa(dir) {
  return readFileSync(join(dir, 'ca.pem'), 'utf8');
}
