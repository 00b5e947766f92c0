import { balancerNames } from '../../src/balancers/index.js';
import { balancerContract } from './contract.js';

// The contract runs over every registry entry by name, with its default options: a balancer
// added to the registry is held to it without a line here. Files named after a balancer add its
// own cases (and the contract with other options).
for (const name of balancerNames) balancerContract(name);
