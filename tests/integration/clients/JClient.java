// SPDX-License-Identifier: ISC
// t-clients: GET a URL with the JDK's two clients, no proxy code.
//   java JClient urlconn|httpclient|httpclient-auth URL
// Prints the status and body; exits 1 on an error or a status >= 400.
import java.io.InputStream;
import java.net.Authenticator;
import java.net.HttpURLConnection;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

public final class JClient {
	public static void main(String[] a) {
		try {
			int st;
			String body;
			if (a[0].equals("urlconn")) {
				HttpURLConnection c = (HttpURLConnection)
				    new URL(a[1]).openConnection();
				st = c.getResponseCode();
				InputStream in = st < 400 ? c.getInputStream() :
				    c.getErrorStream();
				body = in == null ? "" : new String(in.readAllBytes());
			} else {
				HttpClient.Builder b = HttpClient.newBuilder();
				if (a[0].equals("httpclient-auth"))
					b.authenticator(Authenticator.getDefault());
				HttpResponse<String> r = b.build().send(
				    HttpRequest.newBuilder(URI.create(a[1])).build(),
				    HttpResponse.BodyHandlers.ofString());
				st = r.statusCode();
				body = r.body();
			}
			System.out.println("status " + st);
			System.out.print(body);
			System.exit(st >= 400 ? 1 : 0);
		} catch (Exception e) {
			System.out.println("error " + e);
			System.exit(1);
		}
	}
}
