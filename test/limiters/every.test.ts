import { limiterNames } from '../../src/limiters/index.js';
import { windowContract } from './contract.js';
import { subjects } from './subjects.js';

// The contract runs over every registry entry by name (subjects.ts is typed by the registry's
// names). Files named after a limiter add its own cases.
for (const name of limiterNames) windowContract(subjects[name]);
