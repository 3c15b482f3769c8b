import { runAdapterContract } from '@forge/testkit/conformance';
import got from 'got';
import { gotBinding } from './binding.js';

runAdapterContract(gotBinding('got 16', got));
