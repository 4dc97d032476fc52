/*
 * Spec documents: the JSON files of spec/ whose whole meaning is one model's
 * check and put (services/<s>.json, schedules/<name>.json). One parse serves
 * them all, so each waits for the rest of a plain append, and refuses what no
 * more bytes could mend, in the same way.
 */
#include <errno.h>
#include <string.h>

#include "ecsfs/util.h"
#include "fs.h"

/* The bytes as a JSON object; 1 (no *doc) while a plain append could
 * still complete it, -EINVAL when no more bytes could. */
static int doc_parse(const ecsfs__spec_doc *d, const char *data, size_t len, bool partial,
		     json_t **doc, ecsfs_err *err)
{
	json_t *whole;

	if (len > (size_t)d->max || memchr(data, '\0', len))
		return ecsfs_err_set(err, ECSFS_E_INVALID_PARAMETER, -EINVAL,
				     "%s is at most %d bytes of text", d->what, d->max);
	if (partial && ecsfs_json_prefix_ok(data, len)) {
		/* a complete value can only grow by blanks: judge it now */
		if (!(whole = json_loadb(data, len, JSON_DISABLE_EOF_CHECK, NULL)))
			return 1;
		json_decref(whole);
	}
	return ecsfs_err_from(err, ECSFS_E_INVALID_PARAMETER,
			      ecsfs_json_parse_object(data, len, doc, &err->msg));
}

int ecsfs__spec_doc_check(ecsfs__fs *fs, const ecsfs__match *m, const char *data, size_t len,
			  bool partial, ecsfs_err *err)
{
	const ecsfs__spec_doc *d = m->route->doc;
	json_t *doc = NULL;
	int r = doc_parse(d, data, len, partial, &doc, err);

	if (r == 0)
		r = d->check(m->cap[0], m->cap[1], doc, err);
	json_decref(doc);
	return r < 0 ? r : 0;
}

int ecsfs__spec_doc_apply(ecsfs__fs *fs, const ecsfs__match *m, const char *data, size_t len,
			  const ecsfs_file_meta *meta, ecsfs_err *err)
{
	const ecsfs__spec_doc *d = m->route->doc;
	ecsfs_spec_bytes file = {.data = data, .len = len, .meta = meta};
	json_t *doc = NULL;
	int r = doc_parse(d, data, len, false, &doc, err);

	if (r == 0)
		r = d->put(fs, m, doc, &file, err);
	json_decref(doc);
	return r;
}

void ecsfs__invalidate_spec_doc(ecsfs__fs *fs, const char *cluster, const char *kind,
				const char *name)
{
	ecsfs_buf path = ECSFS_BUF_INIT;

	ecsfs_buf_setf(&path, "/spec/clusters/%s/%s", cluster, kind);
	ecsfs__invalidate_inode(fs, path.data);
	ecsfs_buf_addf(&path, "/%s.json", name);
	ecsfs__invalidate_entry(fs, path.data);
	ecsfs_buf_setf(&path, "/spec/clusters/%s", cluster);
	ecsfs__invalidate_inode(fs, path.data);
	ecsfs_buf_release(&path);
}
