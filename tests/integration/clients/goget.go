// SPDX-License-Identifier: ISC
// t-clients: GET a URL with Go's net/http default client (it reads
// HTTP(S)_PROXY and NO_PROXY itself).  Prints the status and body;
// exits 1 on an error or a status >= 400.
package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
)

func main() {
	r, err := http.Get(os.Args[1])
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	defer r.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	fmt.Println("status", r.StatusCode)
	fmt.Print(string(b))
	if r.StatusCode >= 400 {
		os.Exit(1)
	}
}
