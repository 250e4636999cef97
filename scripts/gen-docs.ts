// Generates docs/errors.md from the error table, so the docs cannot drift from the code.
// Run: npm run docs. A test checks the committed file is current.
import { writeFileSync } from 'node:fs';
import { renderErrorsDoc } from '../src/errors/doc.js';

writeFileSync(new URL('../docs/errors.md', import.meta.url), renderErrorsDoc());
console.log('wrote docs/errors.md');
