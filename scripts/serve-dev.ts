// `funcspec serve` from the TypeScript sources, for `npm run dev` (tsx watch restarts it on change).
import { main } from '../src/cli/main.js';

await main(['serve']);
