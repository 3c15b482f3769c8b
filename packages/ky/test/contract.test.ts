import { runAdapterContract } from '@forge/testkit/conformance';
import ky from 'ky';
import { kyBinding } from './binding.js';

runAdapterContract(kyBinding('ky 2', ky as never));
