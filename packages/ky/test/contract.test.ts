import { runAdapterContract } from '@forge/testkit/conformance';
import ky from 'ky';
import { type KyClient, kyBinding } from './binding.js';

runAdapterContract(kyBinding('ky 2', ky as unknown as KyClient, 'prefix'));
