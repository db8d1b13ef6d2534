/**
 * A small XML well-formedness check for the JUnit tests (no parser dependency): tags nest and close,
 * attributes are quoted and unique, `<` and `&` appear only as markup or entity references, and no
 * character XML 1.0 forbids is present. Returns the elements found, for structural assertions.
 */
export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  text: string;
}

const NAME = /^[A-Za-z_][\w.-]*$/;
const ENTITY = /^&(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);/;

function decode(s: string): string {
  return s.replace(/&(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);/g, (_, e: string) => {
    const named: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
    if (named[e]) return named[e];
    return String.fromCodePoint(e.startsWith('#x') ? Number.parseInt(e.slice(2), 16) : Number(e.slice(1)));
  });
}

function checkText(s: string, where: number): void {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if ((c < 0x20 && c !== 0x9 && c !== 0xa && c !== 0xd) || c === 0xfffe || c === 0xffff) {
      throw new Error(`forbidden character U+${c.toString(16)} at ${where + i}`);
    }
    if (s[i] === '<') throw new Error(`raw < at ${where + i}`);
    if (s[i] === '&' && !ENTITY.test(s.slice(i))) throw new Error(`bare & at ${where + i}`);
  }
}

export function parseXml(xml: string): XmlElement {
  let i = 0;
  if (xml.startsWith('<?xml')) i = xml.indexOf('?>') + 2;
  const root: XmlElement = { name: '#document', attrs: {}, children: [], text: '' };
  const stack: XmlElement[] = [root];
  while (i < xml.length) {
    const lt = xml.indexOf('<', i);
    const text = xml.slice(i, lt < 0 ? xml.length : lt);
    checkText(text, i);
    const top = stack[stack.length - 1] as XmlElement;
    top.text += decode(text);
    if (lt < 0) break;
    const gt = xml.indexOf('>', lt);
    if (gt < 0) throw new Error(`unclosed tag at ${lt}`);
    const tag = xml.slice(lt + 1, gt);
    i = gt + 1;
    if (tag.startsWith('/')) {
      const name = tag.slice(1).trim();
      const open = stack.pop();
      if (!open || open.name !== name) throw new Error(`</${name}> closes <${open?.name}> at ${lt}`);
      continue;
    }
    const selfClosing = tag.endsWith('/');
    const body = selfClosing ? tag.slice(0, -1) : tag;
    const m = body.match(/^([^\s]+)\s*([\s\S]*)$/);
    if (!m?.[1] || !NAME.test(m[1])) throw new Error(`bad tag name at ${lt}: ${tag}`);
    const el: XmlElement = { name: m[1], attrs: {}, children: [], text: '' };
    let rest = (m[2] ?? '').trim();
    while (rest) {
      const a = rest.match(/^([A-Za-z_][\w.-]*)="([^"]*)"\s*/);
      if (!a?.[1]) throw new Error(`bad attribute at ${lt}: ${rest.slice(0, 40)}`);
      if (a[1] in el.attrs) throw new Error(`duplicate attribute ${a[1]} at ${lt}`);
      checkText(a[2] ?? '', lt);
      el.attrs[a[1]] = decode(a[2] ?? '');
      rest = rest.slice(a[0].length);
    }
    top.children.push(el);
    if (!selfClosing) stack.push(el);
  }
  if (stack.length !== 1) throw new Error(`unclosed <${stack[stack.length - 1]?.name}>`);
  const elements = root.children;
  if (elements.length !== 1) throw new Error(`${elements.length} root elements`);
  if (root.text.trim()) throw new Error('text outside the root element');
  return elements[0] as XmlElement;
}
