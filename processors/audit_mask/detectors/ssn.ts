/**
 * US Social Security numbers: `AAA-GG-SSSS` or `AAA GG SSSS` (one kind of
 * separator), excluding what the SSA never issues — area 000, 666 and
 * 900–999, group 00, serial 0000 — and the two numbers published in
 * advertisements (078-05-1120, 219-09-9999). Nine bare digits are an SSN only
 * right after a label (`SSN`, `SSN:`, `social security number`): without it,
 * nine digits are far more often an order or account number.
 */

const SEPARATED = /^(\d{3})([- ])(\d{2})\2(\d{4})$/;
const BARE = /^(\d{3})(\d{2})(\d{4})$/;
const LABEL = /(?:\bssn|social security(?: (?:number|no\.?|#))?)\s{0,3}[:#=]?\s{0,3}$/i;
const LABEL_WINDOW = 40;

export function isSsn(text: string, before: string): boolean {
  const m = SEPARATED.exec(text);
  if (m !== null) return validParts(m[1], m[3], m[4]);
  const bare = BARE.exec(text);
  return bare !== null && validParts(bare[1], bare[2], bare[3]) && LABEL.test(before.slice(-LABEL_WINDOW));
}

function validParts(area = '', group = '', serial = ''): boolean {
  if (area === '000' || area === '666' || area[0] === '9') return false;
  if (group === '00' || serial === '0000') return false;
  const all = area + group + serial;
  return all !== '078051120' && all !== '219099999';
}
