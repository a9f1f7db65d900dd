// The client SDK that `npm run build` generates with @hey-api/openapi-ts (generated/sdk,
// compiled in both images' builds) names the DOM's `BodyInit`; Node's fetch takes the
// same bodies under undici's name. No DOM library is loaded.
declare global {
  type BodyInit = import('undici-types').BodyInit;
}

export {};
