// Command checknote opens a shifou checkpoint note with Go's golang.org/x/mod/sumdb/note, the
// reference implementation of C2SP signed-note: the log's Ed25519 signature through note's own
// verifier, and a witness's C2SP tlog-cosignature (cosignature/v1) through a Verifier written
// against note's interface, as github.com/transparency-dev/formats/note does.
//
// Usage: checknote NOTE_FILE LOG_VKEY [WITNESS_VKEY]
// Prints the verified signers and exits 0, or prints the error and exits 1.
//
// Build (Debian golang-go and golang-golang-x-mod-dev): GO111MODULE=off GOPATH=/usr/share/gocode go build
package main

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
)

// algCosignatureV1 is the signed-note signature type of Ed25519 cosignatures (c2sp.org/signed-note).
const algCosignatureV1 = 0x04

type cosignatureV1Verifier struct {
	name string
	hash uint32
	key  ed25519.PublicKey
}

func (v *cosignatureV1Verifier) Name() string    { return v.name }
func (v *cosignatureV1Verifier) KeyHash() uint32 { return v.hash }

// Verify checks a timestamped_signature: an 8-byte big-endian POSIX time, then an Ed25519
// signature of "cosignature/v1\ntime <t>\n" followed by the note text (c2sp.org/tlog-cosignature).
func (v *cosignatureV1Verifier) Verify(msg, sig []byte) bool {
	if len(sig) != 8+ed25519.SignatureSize {
		return false
	}
	t := binary.BigEndian.Uint64(sig)
	if t > 1<<63-1 || bytes.Count(msg, []byte("\n")) < 3 {
		return false
	}
	m := append([]byte(fmt.Sprintf("cosignature/v1\ntime %d\n", t)), msg...)
	return ed25519.Verify(v.key, m, sig[8:])
}

func newCosignatureV1Verifier(vkey string) (note.Verifier, error) {
	parts := strings.SplitN(vkey, "+", 3)
	if len(parts) != 3 {
		return nil, fmt.Errorf("malformed verifier key")
	}
	name, hash16, key64 := parts[0], parts[1], parts[2]
	key, err := base64.StdEncoding.DecodeString(key64)
	if err != nil || len(key) != 1+ed25519.PublicKeySize || key[0] != algCosignatureV1 {
		return nil, fmt.Errorf("not a cosignature/v1 verifier key")
	}
	h := sha256.New()
	h.Write([]byte(name + "\n"))
	h.Write(key)
	hash := binary.BigEndian.Uint32(h.Sum(nil))
	want, err := strconv.ParseUint(hash16, 16, 32)
	if err != nil || uint32(want) != hash {
		return nil, fmt.Errorf("verifier key hash mismatch")
	}
	return &cosignatureV1Verifier{name: name, hash: hash, key: ed25519.PublicKey(key[1:])}, nil
}

func main() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: checknote NOTE_FILE LOG_VKEY [WITNESS_VKEY]")
		os.Exit(2)
	}
	msg, err := os.ReadFile(os.Args[1])
	if err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	logVerifier, err := note.NewVerifier(os.Args[2])
	if err != nil {
		fmt.Println("log key:", err)
		os.Exit(1)
	}
	verifiers := []note.Verifier{logVerifier}
	if len(os.Args) > 3 {
		w, err := newCosignatureV1Verifier(os.Args[3])
		if err != nil {
			fmt.Println("witness key:", err)
			os.Exit(1)
		}
		verifiers = append(verifiers, w)
	}
	n, err := note.Open(msg, note.VerifierList(verifiers...))
	if err != nil {
		fmt.Println("note.Open:", err)
		os.Exit(1)
	}
	if len(n.Sigs) != len(verifiers) {
		fmt.Printf("only %d of %d signatures verified\n", len(n.Sigs), len(verifiers))
		os.Exit(1)
	}
	for _, s := range n.Sigs {
		fmt.Printf("verified %s %08x\n", s.Name, s.Hash)
	}
	fmt.Printf("text %q\n", n.Text)
}
