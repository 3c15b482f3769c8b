import { runAdapterContract } from '@forge/testkit/conformance';
import axios from 'axios';
import { axiosBinding } from './binding.js';

runAdapterContract(axiosBinding(`axios ${axios.VERSION}`, axios));
