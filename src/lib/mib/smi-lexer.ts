/**
 * Tokenizer for SMIv1/SMIv2 MIB modules (the ASN.1 subset of RFC 1155/1212/2578).
 * Hand-written rather than net-snmp's character-state parser: it keeps line numbers for
 * every token, never throws on odd input, and treats comments the way ASN.1 (and
 * snmptranslate) does.
 */

export type TokenKind = 'id' | 'num' | 'str' | 'bin' | 'sym';

export interface Token {
  kind: TokenKind;
  /** Identifier, number digits, string contents, or the symbol itself. */
  text: string;
  /** 1-based line of the token's first character. */
  line: number;
}

/** A file that is not MIB text at all (NUL bytes, mostly non-printable). */
export function looksBinary(text: string): boolean {
  const sample = text.length > 4096 ? text.slice(0, 4096) : text;
  let odd = 0;
  for (let i = 0; i < sample.length; i++) {
    const c = sample.charCodeAt(i);
    if (c === 0) return true;
    // C0/C1 controls: MIB text is ASCII, files are read as latin1
    if ((c < 32 && c !== 9 && c !== 10 && c !== 13 && c !== 12) || (c >= 127 && c < 160) || c === 0xfffd) odd++;
  }
  return sample.length > 0 && odd / sample.length > 0.1;
}

function isIdStart(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

function isIdPart(c: number): boolean {
  // Underscores are not SMI but appear in vendor MIBs; snmptranslate accepts them too.
  return isIdStart(c) || (c >= 48 && c <= 57) || c === 45 || c === 95;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** Splits MIB text into tokens. Unknown characters become one-character symbols. */
export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  const n = text.length;
  let i = 0;
  let line = 1;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 10) { line++; i++; continue; }
    if (c === 32 || c === 9 || c === 13 || c === 12 || c === 11) { i++; continue; }
    // ASN.1 comment: from "--" to the end of the line or the next "--" (X.208 §8.6),
    // which is also net-snmp's default.
    if (c === 45 && text.charCodeAt(i + 1) === 45) {
      i += 2;
      while (i < n) {
        const d = text.charCodeAt(i);
        if (d === 10) break;
        if (d === 45 && text.charCodeAt(i + 1) === 45) { i += 2; break; }
        i++;
      }
      continue;
    }
    const start = i;
    const startLine = line;
    if (isIdStart(c)) {
      i++;
      while (i < n && isIdPart(text.charCodeAt(i))) {
        // An identifier never ends in a hyphen nor holds "--" (that starts a comment).
        if (text.charCodeAt(i) === 45 && (text.charCodeAt(i + 1) === 45 || !isIdPart(text.charCodeAt(i + 1)))) break;
        i++;
      }
      tokens.push({ kind: 'id', text: text.slice(start, i), line: startLine });
      continue;
    }
    if (isDigit(c) || (c === 45 && isDigit(text.charCodeAt(i + 1)))) {
      i++;
      while (i < n && isDigit(text.charCodeAt(i))) i++;
      tokens.push({ kind: 'num', text: text.slice(start, i), line: startLine });
      continue;
    }
    if (c === 34) {
      i++;
      while (i < n && text.charCodeAt(i) !== 34) {
        if (text.charCodeAt(i) === 10) line++;
        i++;
      }
      tokens.push({ kind: 'str', text: text.slice(start + 1, i), line: startLine });
      i++;
      continue;
    }
    if (c === 39) {
      // 'ABCD'H or '0101'B
      i++;
      while (i < n && text.charCodeAt(i) !== 39 && text.charCodeAt(i) !== 10) i++;
      const body = text.slice(start + 1, i);
      i++;
      let suffix = '';
      if (i < n && /[HhBb]/.test(text[i])) { suffix = text[i].toUpperCase(); i++; }
      tokens.push({ kind: 'bin', text: suffix + ':' + body, line: startLine });
      continue;
    }
    if (c === 58 && text.charCodeAt(i + 1) === 58 && text.charCodeAt(i + 2) === 61) {
      tokens.push({ kind: 'sym', text: '::=', line: startLine });
      i += 3;
      continue;
    }
    if (c === 46 && text.charCodeAt(i + 1) === 46) {
      tokens.push({ kind: 'sym', text: '..', line: startLine });
      i += 2;
      continue;
    }
    tokens.push({ kind: 'sym', text: text[i], line: startLine });
    i++;
  }
  return tokens;
}
