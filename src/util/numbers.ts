// Thousands separators without toLocaleString, whose first call loads ICU's number data (~8 ms
// alone, more in the single binary's start): every start builds the --help texts with them.
export const int = (n: number) => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',')
