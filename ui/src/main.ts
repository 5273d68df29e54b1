import { mount } from 'svelte';
import App from './App.svelte';
import { AppModel } from './lib/app.svelte';
import { chooseBackend } from './lib/backend';
import './app.css';

mount(App, { target: document.getElementById('app')!, props: { app: new AppModel(chooseBackend()) } });
