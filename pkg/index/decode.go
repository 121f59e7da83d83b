package index

import (
	"encoding/binary"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/query"
)

// buildDecoder reads rows of buildCols straight from their wire form: a listing of a long
// history is read on every refresh, and pgx's general scanning (a value at a time, a
// string each) costs more than the statement. Names repeat from build to build and are
// shared; anything not in the expected binary form falls back to scanBuild.
type buildDecoder struct {
	fast bool
	last [len(wireOIDs)]string // each text column's previous value
}

// wireOIDs are buildCols' types, in order.
var wireOIDs = [...]uint32{pgtype.Int8OID, pgtype.TextOID, pgtype.TextOID, pgtype.TextOID, pgtype.TimestamptzOID,
	pgtype.Int4OID, pgtype.TextOID, pgtype.TextOID, pgtype.Int8OID, pgtype.TextOID}

func newBuildDecoder(r pgx.Rows) *buildDecoder {
	d := &buildDecoder{}
	fds := r.FieldDescriptions()
	if len(fds) != len(wireOIDs) {
		return d
	}
	for i, fd := range fds {
		// text reads the same in either format; numbers and times must be binary
		if fd.DataTypeOID != wireOIDs[i] || (fd.DataTypeOID != pgtype.TextOID && fd.Format != pgtype.BinaryFormatCode) {
			return d
		}
	}
	d.fast = true
	return d
}

// pgEpoch is where PostgreSQL's binary timestamps count microseconds from (2000-01-01),
// in Unix microseconds.
const pgEpoch = 946_684_800_000_000

// decode reads the current row, as scanBuild does.
func (d *buildDecoder) decode(r pgx.Rows) (query.Build, query.Origin, error) {
	if !d.fast {
		return scanBuild(r)
	}
	v := r.RawValues()
	if len(v) != len(wireOIDs) || len(v[0]) != 8 || len(v[4]) != 8 || len(v[5]) != 4 || (v[8] != nil && len(v[8]) != 8) {
		return query.Build{}, query.Origin{}, errors.New("a build row in an unexpected wire form")
	}
	t := time.UnixMicro(pgEpoch + int64(binary.BigEndian.Uint64(v[4]))).UTC()
	b := query.Build{ID: int64(binary.BigEndian.Uint64(v[0])), Finished: true, Timestamp: t, Stop: t,
		Status: int(int32(binary.BigEndian.Uint32(v[5]))), Job: query.JobRef{Project: d.str(1, v[1]), Jobset: d.str(2, v[2]), Job: d.str(3, v[3])},
		NixName: string(v[6]), System: d.str(7, v[7])}
	o := query.Origin{Revision: d.str(9, v[9])}
	if v[8] != nil {
		o.Eval = int64(binary.BigEndian.Uint64(v[8]))
	}
	return b, o, nil
}

// str returns column col's value, shared with the previous row's when it is the same
// (builds listed together mostly share their project, jobset, job, system and commit).
func (d *buildDecoder) str(col int, b []byte) string {
	if string(b) != d.last[col] {
		d.last[col] = string(b)
	}
	return d.last[col]
}
