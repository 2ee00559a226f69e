/* eslint-disable @typescript-eslint/no-unused-vars -- a tool script: the toolbox calls its entry point by name */
/** The Luhn check digit (mod 10) to append to a string of decimal digits (spaces and dashes ignored). */
function luhn_check_digit(digits: string): number {
  const clean = digits.replace(/[\s-]/g, "");
  if (!/^\d+$/.test(clean)) throw new RangeError(`${JSON.stringify(digits)} holds characters other than digits`);
  let sum = 0;
  for (let i = 0; i < clean.length; i++) {
    // Doubling starts from the rightmost digit of the payload: it sits next to the check digit.
    let d = clean.charCodeAt(clean.length - 1 - i) - 48;
    if (i % 2 === 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return (10 - (sum % 10)) % 10;
}
