import { runAdapterContract } from '@forge/testkit/conformance';
import type { Got } from 'got';
import got14 from 'got14';
import { gotBinding } from './binding.js';

// The oldest got major the peer range (>=14 <17) admits.
runAdapterContract(gotBinding('got 14', got14 as unknown as Got));
