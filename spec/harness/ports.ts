/** A free TCP port on loopback, for the server rules (T1-T3): get-port, not a hand-rolled probe. */
import getPort from 'get-port';

export const freePort = (): Promise<number> => getPort({ host: '127.0.0.1' });
