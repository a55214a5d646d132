// zod pieces shared by several config sections.
import { z } from 'zod';

/** A string that compiles as a JavaScript regular expression; a bad one fails config load. */
export const regexSchema = z.string().refine(
  (pattern) => {
    try {
      new RegExp(pattern);
      return true;
    } catch {
      return false;
    }
  },
  { message: 'not a valid regular expression' },
);
