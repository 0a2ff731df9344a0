/**
 * multipart/form-data as a server reads it (RFC 7578): the parts between the boundary lines,
 * each with its Content-Disposition name and filename. Strict where real servers are: no
 * boundary, a part without a name or a body without the closing boundary is an error.
 */
export interface FormPart {
  readonly name: string;
  readonly filename?: string;
  readonly contentType?: string;
  readonly data: Buffer;
}

export function parseMultipart(contentType: string | undefined, body: Buffer): FormPart[] | { error: string } {
  const m = /^multipart\/form-data;\s*boundary=(?:"([^"]+)"|([^\s;]+))/i.exec(contentType ?? '');
  if (!m) return { error: 'not multipart/form-data with a boundary' };
  const boundary = Buffer.from(`--${m[1] ?? m[2]}`);
  const parts: FormPart[] = [];
  let at = body.indexOf(boundary);
  if (at < 0) return { error: 'no boundary in the body' };
  for (;;) {
    at += boundary.length;
    if (body.subarray(at, at + 2).toString() === '--') return parts;
    if (body.subarray(at, at + 2).toString() !== '\r\n') return { error: 'a boundary line without CRLF' };
    at += 2;
    const headEnd = body.indexOf('\r\n\r\n', at);
    if (headEnd < 0) return { error: 'a part without the blank line after its headers' };
    const head = body.subarray(at, headEnd).toString();
    const next = body.indexOf(Buffer.concat([Buffer.from('\r\n'), boundary]), headEnd + 4);
    if (next < 0) return { error: 'no closing boundary' };
    const disposition = /content-disposition:\s*form-data;([^\r\n]*)/i.exec(head)?.[1] ?? '';
    const name = /\bname="([^"]*)"/.exec(disposition)?.[1];
    if (name === undefined) return { error: 'a part without a name' };
    const filename = /\bfilename="([^"]*)"/.exec(disposition)?.[1];
    const type = /content-type:\s*([^\r\n]+)/i.exec(head)?.[1]?.trim();
    parts.push({ name, ...(filename !== undefined ? { filename } : {}), ...(type ? { contentType: type } : {}), data: body.subarray(headEnd + 4, next) });
    at = next + 2;
  }
}
