import { maskPansInText } from './pan.js';

/**
 * Quotes an input value for an error message a person will read: PAN-shaped text masked (a card
 * number typed into the wrong column must not reach a receipt or a log through its rejection),
 * and long values clipped.
 * @example quote('4111 1111 1111 1111') // '"411111******1111"'
 */
export function quote(value: string, max = 40): string {
  const masked = maskPansInText(value);
  return JSON.stringify(masked.length > max ? `${masked.slice(0, max - 3)}...` : masked);
}
