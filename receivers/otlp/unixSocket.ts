/** Unix socket paths of the OTLP receivers (HTTP and gRPC): what may be removed to listen there. */
import fs from 'node:fs';
import net from 'node:net';
import { OtelAuditError } from '../../src/errors.ts';

/**
 * Clears the way for a unix socket at `socketPath` (called when the bind found the path taken): a stale
 * socket file (its connect refused: no one listening) is removed; anything else there is refused: a
 * regular file or directory (a mistyped path must not delete data), or a socket that is or may be in use.
 * Two receivers starting at the same moment on one stale path can still race (both see it refused before
 * either binds again): one path per receiver.
 */
export async function removeStaleSocket(socketPath: string, protocol: 'http' | 'grpc'): Promise<void> {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(socketPath);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  if (!st.isSocket()) {
    throw new OtelAuditError(
      'LIFECYCLE',
      `otlp ${protocol}: cannot listen on unix:${socketPath}: a file that is not a socket is there (not removed)`,
    );
  }
  // Stale only when the connect is refused: a listener whose backlog is full answers EAGAIN, and one we may
  // not reach EACCES; neither socket is ours to remove.
  const refused = await new Promise<string | undefined>((resolve) => {
    const probe = net.connect(socketPath);
    probe.once('connect', () => {
      probe.destroy();
      resolve('another process is listening on it');
    });
    probe.once('error', (e: NodeJS.ErrnoException) =>
      resolve(
        e.code === 'ECONNREFUSED'
          ? undefined
          : `a socket is there that may be in use (${e.code ?? e.message})`,
      ),
    );
  });
  if (refused !== undefined) {
    throw new OtelAuditError(
      'LIFECYCLE',
      `otlp ${protocol}: cannot listen on unix:${socketPath}: ${refused}`,
    );
  }
  fs.rmSync(socketPath);
}
