// The server as a separate process: the same code the cluster harness starts its processes with.
export { freePort, spawnServer, stopServer, type ServerProcess } from '../../scripts/cluster.js';
