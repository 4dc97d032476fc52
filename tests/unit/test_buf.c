#include "ecsfs/buf.h"
#include "tap.h"

int main(void)
{
	ecsfs_buf b = ECSFS_BUF_INIT;

	is_str(b.data, "", "a new buffer reads as an empty string");
	ecsfs_buf_adds(&b, "hello");
	ecsfs_buf_addf(&b, " %d", 42);
	is_str(b.data, "hello 42", "add and addf append");
	ecsfs_buf_write_at(&b, 10, "xy", 2);
	is_int(b.len, 12, "write_at past the end zero-fills the gap");
	ok(b.data[8] == '\0' && b.data[9] == '\0' && b.data[10] == 'x', "the gap holds zeros");
	ecsfs_buf_write_at(&b, 0, "J", 1);
	ok(b.data[0] == 'J' && b.len == 12, "write_at inside overwrites without growing");
	ecsfs_buf_setlen(&b, 3);
	is_str(b.data, "Jel", "setlen truncates and terminates");
	ecsfs_buf_setf(&b, "%s", "reset");
	is_str(b.data, "reset", "setf replaces");
	size_t len;
	char *p = ecsfs_buf_detach(&b, &len);
	is_int(len, 5, "detach hands over the length");
	is_str(p, "reset", "detach hands over the bytes");
	free(p);
	is_int(b.len, 0, "a detached buffer is empty");
	for (int i = 0; i < 10000; i++)
		ecsfs_buf_addch(&b, 'a');
	is_int(b.len, 10000, "grows past many doublings");
	ecsfs_buf_release(&b);
	ecsfs_buf_release(&b);
	ok(b.len == 0 && b.data && b.data[0] == '\0', "release twice is harmless");
	return tap_done();
}
