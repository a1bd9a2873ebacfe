/** The `acr` of a login that passed the one-time code (policies/data/step-up.yaml, RFC 9470). */
export const ACR_MFA = 'urn:verdict:acr:mfa';

/** Whether an authorization request's `acr_values` asks for the multi-factor `acr`. */
export function requestsMfa(acrValues: unknown): boolean {
  return typeof acrValues === 'string' && acrValues.split(' ').includes(ACR_MFA);
}
