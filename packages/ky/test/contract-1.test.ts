import { runAdapterContract } from '@forge/testkit/conformance';
import ky1 from 'ky1';
import { type KyClient, kyBinding } from './binding.js';

// The oldest ky major the peer range (>=1.14 <3) admits.
runAdapterContract(kyBinding('ky 1', ky1 as unknown as KyClient, 'prefixUrl'));
