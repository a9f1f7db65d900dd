// The SDK that @hey-api/openapi-ts generates (generated/sdk) names the DOM's `BodyInit`;
// Node's fetch takes the same bodies, under undici's name. No DOM library is loaded.
declare global {
  type BodyInit = import('undici-types').BodyInit;
}

export {};
