/* pier: the docker command line, for pierd (or any Docker Engine API). */
#include "cli.h"

int main(int argc, char **argv)
{
    return pier_main(argc, argv);
}
