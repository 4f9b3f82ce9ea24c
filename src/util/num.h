/* Numbers from the command line. */
#ifndef JAIL6_UTIL_NUM_H
#define JAIL6_UTIL_NUM_H

/* The decimal number s in [lo, hi] (lo >= 0), all of s; -1 otherwise. */
long num_in(const char *s, long lo, long hi);

#endif
