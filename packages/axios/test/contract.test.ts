import { runAdapterContract } from '@forge/test-utils';
import axios from 'axios';
import { axiosBinding } from './binding.js';

runAdapterContract(axiosBinding(`axios ${axios.VERSION}`, axios));
