package main

import (
	"context"
	"fmt"
	"log"

	"github.com/ampersand-sdk/ampersand-go/pkg/client"
)

func main() {
	ctx := context.Background()
	c, err := client.New() // reads AMPERSAND_API_KEY, and AMPERSAND_SERVER_URL when it is set
	if err != nil {
		log.Fatal(err)
	}
	conns, err := c.Connections.List(ctx, client.ListConnectionsRequest{ProjectIDOrName: "my-project"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(conns), "connections")
}
