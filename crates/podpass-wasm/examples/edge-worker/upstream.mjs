// The echo upstream of the edge example: answers with what reached it, so a test can see
// which requests the podpass worker passed on and with which headers.
export default {
  async fetch(request) {
    const url = new URL(request.url);
    return Response.json({
      upstream: "echo",
      method: request.method,
      path: url.pathname,
      search: url.search,
      headers: Object.fromEntries(request.headers),
    });
  },
};
