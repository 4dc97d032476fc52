/*
 * Replays the fuzz corpus through the libFuzzer target with any compiler,
 * so every input the fuzzer kept stays a regression test (under ASan/UBSan
 * in the sanitized run). usage: replay DIR
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int main(int argc, char **argv)
{
	DIR *dir;
	struct dirent *e;
	int n = 0;

	if (argc != 2 || !(dir = opendir(argv[1]))) {
		fprintf(stderr, "usage: replay CORPUS_DIR\n");
		return 2;
	}
	while ((e = readdir(dir))) {
		char path[4096];
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", argv[1], e->d_name);
		FILE *f = fopen(path, "rb");
		if (!f)
			continue;
		uint8_t *buf = malloc(1 << 20);
		size_t len = buf ? fread(buf, 1, 1 << 20, f) : 0;
		fclose(f);
		if (!buf)
			return 1;
		LLVMFuzzerTestOneInput(buf, len);
		free(buf);
		printf("ok %d - %s\n", ++n, e->d_name);
	}
	closedir(dir);
	printf("1..%d\n", n);
	return n > 0 ? 0 : 1;
}
