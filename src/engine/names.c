/* Names for containers that were not given one: adjective_surname, as
 * docker makes them (the word lists are pier's own). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "internal.h"

static const char *const adjectives[] = {
    "agile",    "amber",    "ample",    "arcane",   "ardent",  "astute",   "azure",    "bold",
    "brave",    "breezy",   "bright",   "brisk",    "calm",    "candid",   "cheerful", "civic",
    "clever",   "cosmic",   "crisp",    "curious",  "daring",  "deft",     "devoted",  "eager",
    "earnest",  "elated",   "elegant",  "epic",     "exact",   "fearless", "fervent",  "festive",
    "fluent",   "focused",  "frank",    "friendly", "gallant", "gentle",   "gifted",   "glad",
    "golden",   "graceful", "grand",    "happy",    "hardy",   "hearty",   "honest",   "humble",
    "jolly",    "jovial",   "keen",     "kind",     "lively",  "loyal",    "lucid",    "lucky",
    "mellow",   "merry",    "mighty",   "modest",   "nimble",  "noble",    "patient",  "peaceful",
    "placid",   "plucky",   "polite",   "proud",    "quick",   "quiet",    "radiant",  "rapid",
    "serene",   "sharp",    "shiny",    "sincere",  "sleek",   "smart",    "snappy",   "solid",
    "spirited", "stable",   "steady",   "stoic",    "sturdy",  "sunny",    "swift",    "tender",
    "thrifty",  "tidy",     "tranquil", "trusty",   "upbeat",  "valiant",  "vibrant",  "vivid",
    "warm",     "wise",     "witty",    "zealous",  "zesty",
};

static const char *const surnames[] = {
    "agnesi",      "ampere",    "archimedes", "babbage",    "banach",   "bardeen",    "bernoulli",
    "bohr",        "boltzmann", "boole",      "cantor",     "cauchy",   "cerf",       "chandra",
    "church",      "clarke",    "codd",       "copernicus", "curie",    "darwin",     "dijkstra",
    "dirac",       "edison",    "einstein",   "euclid",     "euler",    "faraday",    "fermat",
    "fermi",       "feynman",   "fibonacci",  "fourier",    "franklin", "galileo",    "galois",
    "gauss",       "germain",   "goedel",     "hamilton",   "hawking",  "heisenberg", "hertz",
    "hilbert",     "hopper",    "hubble",     "huygens",    "jacobi",   "joule",      "kelvin",
    "kepler",      "knuth",     "kolmogorov", "lagrange",   "lamport",  "laplace",    "lavoisier",
    "leibniz",     "lovelace",  "maxwell",    "meitner",    "mendel",   "minsky",     "napier",
    "neumann",     "newton",    "noether",    "ohm",        "pascal",   "pasteur",    "pauli",
    "planck",      "poincare",  "ramanujan",  "riemann",    "ritchie",  "rutherford", "sagan",
    "schrodinger", "shannon",   "stallman",   "tesla",      "thompson", "torvalds",   "turing",
    "volta",       "wiles",     "wright",     "yalow",      "zuse",
};

static unsigned pick(unsigned n)
{
    unsigned r = 0;
    if (getrandom(&r, sizeof r, 0) != sizeof r)
        r = (unsigned)rand();
    return r % n;
}

char *names_generate(struct engine *e)
{
    for (int attempt = 0; attempt < 10; attempt++) {
        char name[96];
        int n = snprintf(name, sizeof name, "%s_%s",
                         adjectives[pick(sizeof adjectives / sizeof adjectives[0])],
                         surnames[pick(sizeof surnames / sizeof surnames[0])]);
        /* After collisions, a number makes it unique (as docker does). */
        if (attempt > 0)
            snprintf(name + n, sizeof name - (size_t)n, "%d", (int)pick(10));
        bool taken = false;
        for (struct container *c = e->containers; c; c = c->next)
            if (strcmp(c->name, name) == 0)
                taken = true;
        if (!taken)
            return strdup(name);
    }
    char *id = malloc(65);
    if (id != NULL && ct_new_id(id) < 0) {
        free(id);
        return NULL;
    }
    return id;
}
