/* libFuzzer target: a --format template, the CLI's untrusted input.  Any
 * input must parse and run on a fixed document, or fail with an error:
 * never crash, never leak, and never run away (the caps in gotmpl_int.h
 * bound output, memory, steps and recursion). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../src/lib/gotmpl.h"

/* Shaped like `docker inspect`: maps, arrays, nulls, numbers of both kinds. */
static const char doc[] =
    "{\"Id\":\"4fa6e0f0c678\",\"Name\":\"/web\",\"Args\":[\"-g\",\"daemon off;\"],"
    "\"State\":{\"Status\":\"running\",\"Running\":true,\"Pid\":4242,\"Health\":null},"
    "\"Mounts\":[{\"Source\":\"/srv\",\"Destination\":\"/data\",\"RW\":true}],"
    "\"Config\":{\"Labels\":{\"a\":\"1\",\"b\":\"<&>\"},\"Env\":[]},\"Label\":{\"k\":\"v\"},"
    "\"Size\":1024.5,\"Big\":1e21,\"Neg\":-3,\"Zero\":0,\"Nil\":null,\"Text\":\"h\\u00e9llo\","
    "\"Mixed\":[1,\"two\",null,3.5,[4],{\"k\":\"v\"}]}";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static json_t *root;
    if (root == NULL)
        root = json_loads(doc, 0, NULL);
    char *text = malloc(size + 1);
    if (text == NULL)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0'; /* a NUL inside ends the template early, as in C */

    struct gotmpl *t = NULL;
    pier_err_t err = NULL;
    if (gotmpl_parse(text, &t, &err) == 0) {
        char *out = NULL;
        size_t len = 0;
        if (gotmpl_exec(t, root, &out, &len, &err) == 0 && strlen(out) > len)
            abort(); /* the length covers the whole output */
        free(out);
        gotmpl_free(t);
    }
    pier_error_free(&err);
    free(text);
    return 0;
}
