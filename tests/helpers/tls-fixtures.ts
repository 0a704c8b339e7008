/**
 * A certificate authority of the test's own and a server certificate it signed for 127.0.0.1 and
 * localhost, made with `openssl` (Debian ships it; `tlsFixtures()` is undefined where it is missing,
 * and TLS tests skip). Nothing here is trusted by Node's default roots: a client must be given the CA.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** PEM texts of a CA and of a server certificate (with its key) it signed. */
export interface TlsFixtures {
  caCert: string;
  serverKey: string;
  serverCert: string;
  /** A CA file on disk (for `transport.ca` given as a path); removed by `remove()`. */
  caFile: string;
  remove(): void;
}

function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Make a fresh CA and server certificate (EC P-256, a day long), or undefined without openssl. */
export function tlsFixtures(): TlsFixtures | undefined {
  if (!hasOpenssl()) return undefined;
  const dir = mkdtempSync(join(tmpdir(), 'sb-tls-'));
  const file = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '1', '-subj', '/CN=llm-switchboard test CA');
  openssl('req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1');
  writeFileSync(file('server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  openssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '1', '-extfile', 'server.ext');
  return {
    caCert: readFileSync(file('ca.pem'), 'utf8'),
    serverKey: readFileSync(file('server.key'), 'utf8'),
    serverCert: readFileSync(file('server.pem'), 'utf8'),
    caFile: file('ca.pem'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
