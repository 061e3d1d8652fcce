/**
 * Asterisk's plain HTML error pages, used for answers outside `/ari` (unknown paths, 426 on the events URI
 * without an upgrade) where Asterisk's own HTTP server answers in HTML rather than JSON.
 */

const reasons: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  413: 'Request Entity Too Large',
  426: 'Upgrade Required',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export function reasonPhrase(status: number): string {
  return reasons[status] ?? 'Error';
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : '&quot;'));
}

/** The page Asterisk's `ast_http_error` writes: title, heading, one paragraph and the server name. */
export function htmlErrorPage(status: number, text: string, serverName: string): string {
  const title = reasonPhrase(status);
  return (
    '<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">\r\n' +
    '<html><head>\r\n' +
    `<title>${status} ${title}</title>\r\n` +
    '</head><body>\r\n' +
    `<h1>${title}</h1>\r\n` +
    `<p>${escapeHtml(text)}</p>\r\n` +
    '<hr />\r\n' +
    `<address>${escapeHtml(serverName)}</address>\r\n` +
    '</body></html>\r\n'
  );
}
