import { runAdapterContract } from '@forge/test-utils';
import got from 'got';
import { gotBinding } from './binding.js';

runAdapterContract(gotBinding('got 16', got));
