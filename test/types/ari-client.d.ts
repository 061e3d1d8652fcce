// The official ari-client package ships no types; the tests describe the parts they use.
declare module 'ari-client' {
  const client: unknown;
  export default client;
}
