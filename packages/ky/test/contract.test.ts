import { runAdapterContract } from '@forge/test-utils';
import ky from 'ky';
import { kyBinding } from './binding.js';

runAdapterContract(kyBinding('ky 2', ky as never));
