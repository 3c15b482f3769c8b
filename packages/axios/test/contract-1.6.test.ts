import { runAdapterContract } from '@forge/testkit/conformance';
import type { AxiosStatic } from 'axios';
import axios1early from 'axios1early';
import { axiosBinding } from './binding.js';

// The oldest axios 1.x we test against: the peer range starts at ^1.
runAdapterContract(
  axiosBinding(`axios ${axios1early.VERSION}`, axios1early as unknown as AxiosStatic),
);
