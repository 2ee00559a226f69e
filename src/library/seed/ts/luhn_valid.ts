/* eslint-disable @typescript-eslint/no-unused-vars -- a tool script: the toolbox calls its entry point by name */
/** The library tool this one calls (injected by the toolbox at run time). */
declare function luhn_check_digit(digits: string): number;

/** True when a number (card, IMEI…) passes the Luhn check: its last digit is the check digit of the rest (library tool luhn_check_digit). */
function luhn_valid(number: string): boolean {
  const clean = number.replace(/[\s-]/g, "");
  if (!/^\d{2,}$/.test(clean)) return false;
  return luhn_check_digit(clean.slice(0, -1)) === Number(clean.at(-1));
}
