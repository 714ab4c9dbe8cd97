// SPDX-License-Identifier: ISC
// sandgate: a Java agent (loaded by JDK_JAVA_OPTIONS=-javaagent:... in
// the tools image) that answers the proxy's Basic challenge (RFC 9110
// 11.7.1, RFC 7617) with the credentials of HTTPS_PROXY/HTTP_PROXY.
// The token is read from the environment inside the JVM and never put
// in a system property or on a command line (the JVM prints
// JAVA_TOOL_OPTIONS and JDK_JAVA_OPTIONS to stderr).  Proxy host and
// port and the Basic tunnelling setting come from JAVA_TOOL_OPTIONS
// (sandbox-create); only the proxy itself, asking as a proxy, gets the
// credentials, never a server.
import java.lang.instrument.Instrumentation;
import java.net.Authenticator;
import java.net.PasswordAuthentication;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;

public final class SandgateProxyAuth extends Authenticator {
	private final String host;
	private final int port;
	private final String user;
	private final char[] pass;

	private SandgateProxyAuth(String host, int port, String user,
	    char[] pass) {
		this.host = host;
		this.port = port;
		this.user = user;
		this.pass = pass;
	}

	@Override
	protected PasswordAuthentication getPasswordAuthentication() {
		if (getRequestorType() != RequestorType.PROXY ||
		    !"basic".equalsIgnoreCase(getRequestingScheme()) ||
		    getRequestingPort() != port ||
		    !host.equalsIgnoreCase(getRequestingHost()))
			return null;
		return new PasswordAuthentication(user, pass.clone());
	}

	public static void premain(String args, Instrumentation inst) {
		String raw = System.getenv("HTTPS_PROXY");
		if (raw == null || raw.isEmpty())
			raw = System.getenv("HTTP_PROXY");
		if (raw == null || raw.isEmpty())
			return;
		try {
			URI u = new URI(raw);
			String ui = u.getRawUserInfo();
			if (ui == null || u.getHost() == null || ui.indexOf(':') < 0)
				return;
			int c = ui.indexOf(':');
			String user = URLDecoder.decode(ui.substring(0, c),
			    StandardCharsets.UTF_8);
			String pass = URLDecoder.decode(ui.substring(c + 1),
			    StandardCharsets.UTF_8);
			String h = u.getHost();
			if (h.startsWith("[") && h.endsWith("]"))
				h = h.substring(1, h.length() - 1);
			Authenticator.setDefault(new SandgateProxyAuth(h,
			    u.getPort() > 0 ? u.getPort() : 80, user,
			    pass.toCharArray()));
		} catch (Exception e) {
			// A malformed variable: no credentials, the proxy says 407.
		}
	}
}
