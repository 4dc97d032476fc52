#include "main.h"

int main(int argc, char **argv)
{
	return ecsfs__daemon_main(argc, argv);
}
