import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import type { OpenAPIV3 } from 'express-openapi-validator/dist/framework/types';
import { repoRoot } from '../../../common/src/repo-root';

export type ContractDocument = OpenAPIV3.DocumentV3_1;

/** openapi.yaml, read once: the router, the validator's rules and the published docs. */
export interface Contract {
  document: ContractDocument;
  yaml: string;
}

export const contractFile = path.join(repoRoot, 'openapi.yaml');

export function loadContract(file = contractFile): Contract {
  const yaml = readFileSync(file, 'utf8');
  return { document: parse(yaml) as ContractDocument, yaml };
}
