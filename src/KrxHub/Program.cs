using KrxHub.Hosting;

// `krxhub` with no verb serves the hub; every verb is defined in Hosting/Cli.cs.
return await Cli.RunAsync(args);
